create table ev (id int not null, at date not null) partition by range (at);
create table ev_1 partition of ev for values from ('2024-01-01') to ('2025-01-01');
create table ev_2 partition of ev for values from ('2025-01-01') to ('2026-01-01');
