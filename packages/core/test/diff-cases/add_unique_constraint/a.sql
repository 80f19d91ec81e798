create table members (id int primary key, email text);
insert into members values (1, 'a'), (2, 'b');
