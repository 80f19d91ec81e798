create table people (id int primary key, name varchar(20), code varchar(5));
insert into people values (1, 'Ada', 'x');
