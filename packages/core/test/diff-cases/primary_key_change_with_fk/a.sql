create table parents (id int primary key, code text not null unique);
create table children (id int primary key, parent_code text references parents(code));
insert into parents values (1, 'x'); insert into children values (1, 'x');
