create collation nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
create table words (id int, w text, x text collate "C");
insert into words values (1, 'a', 'b');
