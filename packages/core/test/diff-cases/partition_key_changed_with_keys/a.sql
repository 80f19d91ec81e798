create table k (id int not null, at date not null, kind text not null, primary key (id, at)) partition by range (at);
create table k_1 partition of k for values from ('2024-01-01') to ('2025-01-01');
create table k_2 partition of k for values from ('2025-01-01') to ('2026-01-01');
create index k_kind on k (kind);
