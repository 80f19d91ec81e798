create table readings (id bigint, at date not null) partition by range (at);
create table readings_2022 partition of readings for values from ('2022-01-01') to ('2023-01-01');
create table readings_2023 partition of readings for values from ('2023-01-01') to ('2024-01-01');
create table base (id int);
create table derived (extra int) inherits (base);
