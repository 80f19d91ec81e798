create table events (id int not null, region text not null, kind text, qty int, note text default 'none', flag boolean not null default false) partition by list (region);
create table events_eu partition of events for values in ('eu');
create table events_us partition of events (kind not null, qty default 0, note default 'us', flag not null) for values in ('us');
create table events_asia partition of events for values in ('asia');
alter table events_asia add primary key (id, qty);
insert into events values (1, 'eu', 'a', 1, 'x', true), (2, 'us', 'b', 2, 'y', false), (3, 'asia', 'c', 3, 'z', true);
