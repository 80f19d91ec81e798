create table cities (id int primary key, zip varchar(10), city text, state text, population int);
create statistics cities_zip_city (dependencies) on zip, city from cities;
create statistics cities_state_pop on state, population from cities;
create statistics cities_old on city, state from cities;
