create table readings (id int not null, at date not null, v int, constraint readings_v_check check (v >= 0)) partition by range (at);
create table readings_2025 partition of readings for values from ('2025-01-01') to ('2026-01-01');
create table readings_2026 partition of readings for values from ('2026-01-01') to ('2027-01-01');
create table readings_2027 partition of readings for values from ('2027-01-01') to ('2028-01-01');
