create table readings (id int not null, at date not null, v int, constraint readings_v_check check (v >= 0)) partition by range (at);
create table readings_2025 partition of readings for values from ('2025-01-01') to ('2026-01-01');
create table readings_2026 (id int, at date not null, v int);
create table readings_2027 (id int not null, at date not null, v int, constraint readings_v_check check (v >= 0));
insert into readings_2026 values (1, '2026-02-01', 3);
insert into readings_2027 values (2, '2027-02-01', 4);
