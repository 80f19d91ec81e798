create table t (id int not null, code text not null);
create unique index t_pkey on t (id);
create unique index t_code_key on t (code);
create table ev (id int not null, at date not null) partition by range (at);
create table ev_1 partition of ev for values from ('2024-01-01') to ('2025-01-01');
create unique index ev_id_at_key on ev (id, at);
