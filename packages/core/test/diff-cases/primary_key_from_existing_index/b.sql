create table t (id int primary key, code text not null unique);
create table ev (id int not null, at date not null, unique (id, at)) partition by range (at);
create table ev_1 partition of ev for values from ('2024-01-01') to ('2025-01-01');
