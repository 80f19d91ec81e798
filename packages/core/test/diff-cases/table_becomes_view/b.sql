create table customers (id int primary key, name text, active boolean);
create view legacy_customers as select id, name from customers where not active;
create view customer_names as select id, name from legacy_customers;
