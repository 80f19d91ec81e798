create table readings (id int primary key, value integer check (value >= 0), unit text default 'g');
create index readings_value_idx on readings (value);
