create type mood as enum ('sad', 'happy');
create table diary (id int primary key, mood mood default 'happy');
insert into diary values (1, 'sad');
