create table notes (id int primary key, owner_id bigint, body text);
alter table notes enable row level security;
create policy mine on notes using (owner_id = 42);
