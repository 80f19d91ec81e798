create table customers (id int primary key, name text, active boolean);
create table legacy_customers (id int, name text);
create view customer_names as select id, name from legacy_customers;
