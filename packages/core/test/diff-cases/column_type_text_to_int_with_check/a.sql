create table readings (id int primary key, value text check (value <> ''), unit varchar(3) default 'kg');
create index readings_value_idx on readings (value);
insert into readings values (1, '42', 'kg');
