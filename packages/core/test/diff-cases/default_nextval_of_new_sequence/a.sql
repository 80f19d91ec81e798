create table tickets (id int primary key, number int not null default 0);
insert into tickets values (1, 0), (2, 0);
