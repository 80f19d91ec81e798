create table events (id int not null, region text not null, kind text, qty int, note text default 'n/a', flag boolean default false) partition by list (region);
create table events_eu partition of events (kind not null, qty default 1, flag not null) for values in ('eu');
create table events_us partition of events (note default 'us') for values in ('us');
create table events_asia partition of events for values in ('asia');
create table events_af partition of events (qty not null default 7, note default null) for values in ('af');
