create table events (id bigserial primary key, note text);
create table event_refs (event_id bigint references events (id));
