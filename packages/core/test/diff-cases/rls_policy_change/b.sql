create table docs (id int primary key, owner text, public boolean);
alter table docs enable row level security;
alter table docs force row level security;
create policy owner_reads on docs for select using (owner = current_user or public);
create policy owner_writes on docs as restrictive for update to schemainspect_test_role using (owner = current_user) with check (owner = current_user);
