create table k (id int not null, at date not null, kind text not null, primary key (id, kind)) partition by list (kind);
create table k_1 partition of k for values in ('a');
create table k_2 partition of k for values in ('b');
create index k_kind on k (kind);
