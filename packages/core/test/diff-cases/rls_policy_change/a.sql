create table docs (id int primary key, owner text, public boolean);
alter table docs enable row level security;
create policy owner_reads on docs for select using (owner = current_user);
create policy gone on docs for delete using (false);
