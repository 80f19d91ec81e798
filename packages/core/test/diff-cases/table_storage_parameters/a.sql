create table hot (id int primary key, v int) with (fillfactor = 70, autovacuum_enabled = false);
create table cold (id int primary key);
create index cold_id_idx on cold (id) with (fillfactor = 50);
