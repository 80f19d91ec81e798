create table events (id int not null, at date not null, kind text, primary key (id, at));
create table refs (id int primary key, event_id int, event_at date, foreign key (event_id, event_at) references events (id, at));
create index events_kind_idx on events (kind);
