create table keep (id int primary key);
create table keep_child (id int primary key, keep_id int references keep (id));
