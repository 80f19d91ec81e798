create collation nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
create table words (id int, w text collate nocase, x text);
