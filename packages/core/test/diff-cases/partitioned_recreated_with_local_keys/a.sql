create table r (id int not null, at date not null, kind text not null) partition by range (at);
create table r_1 partition of r for values from ('2024-01-01') to ('2025-01-01');
create table r_2 partition of r for values from ('2025-01-01') to ('2026-01-01');
alter table r_1 add primary key (id, at);
alter table r_2 add constraint r_2_uq unique (id, kind);
