create type mood as enum ('angry', 'sad', 'ok', 'happy', 'ecstatic');
create table diary (id int primary key, mood mood default 'happy');
