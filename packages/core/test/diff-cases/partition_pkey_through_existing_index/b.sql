create table m (id int not null, at date not null, v text) partition by range (at);
create table m_1 partition of m for values from ('2024-01-01') to ('2025-01-01');
create table m_2 partition of m for values from ('2025-01-01') to ('2026-01-01');
alter table m add primary key (id, at);
alter table m_2 add constraint m_2_id_at_key unique (id, at);
