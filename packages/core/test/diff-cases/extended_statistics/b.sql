create table cities (id int primary key, zip text, city text, state text, population bigint);
create statistics cities_zip_city (dependencies) on zip, city from cities;
create statistics cities_state_pop (ndistinct, mcv) on state, population from cities;
create statistics cities_lower_city on lower(city), state from cities;
alter statistics cities_lower_city set statistics 500;
alter statistics cities_zip_city set statistics 200;
comment on statistics cities_lower_city is 'case-insensitive city';
