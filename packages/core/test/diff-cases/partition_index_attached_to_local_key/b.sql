create table ev (id int not null, at date not null) partition by range (at);
create table ev_1 partition of ev for values from ('2024-01-01') to ('2025-01-01');
create table ev_2 partition of ev for values from ('2025-01-01') to ('2026-01-01');
alter table ev_1 add constraint ev_1_pkey primary key (id, at);
alter table ev_2 add constraint ev_2_id_at_key unique (id, at);
create unique index ev_uq on only ev (id, at);
alter index ev_uq attach partition ev_1_pkey;
alter index ev_uq attach partition ev_2_id_at_key;
