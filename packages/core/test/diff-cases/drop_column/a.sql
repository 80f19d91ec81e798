create table items (id int primary key, legacy text, name text);
create index items_legacy on items(legacy);
insert into items values (1, 'old', 'thing');
