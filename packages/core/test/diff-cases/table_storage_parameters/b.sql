create table hot (id int primary key, v int) with (fillfactor = 90);
create table cold (id int primary key) with (autovacuum_vacuum_scale_factor = 0.01);
create index cold_id_idx on cold (id) with (fillfactor = 60);
