create table people (id int primary key, name varchar(200), code text);
