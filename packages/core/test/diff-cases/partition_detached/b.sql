create table readings (id bigint, at date not null) partition by range (at);
create table readings_2023 partition of readings for values from ('2023-01-01') to ('2025-01-01');
create table readings_2022 (id bigint, at date not null);
create table base (id int);
create table derived (id int, extra int);
