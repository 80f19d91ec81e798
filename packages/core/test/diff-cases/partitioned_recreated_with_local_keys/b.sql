create table r (id int not null, at date not null, kind text not null) partition by list (kind);
create table r_1 partition of r for values in ('a');
create table r_2 partition of r for values in ('b');
alter table r_1 add primary key (id, kind);
alter table r_2 add constraint r_2_uq unique (id, kind);
