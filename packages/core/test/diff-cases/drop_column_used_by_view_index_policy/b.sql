create table docs (id int primary key, owner text, title text);
create view flagged_docs as select id, title from docs where owner is null;
create view doc_titles as select id, title from docs;
alter table docs enable row level security;
create policy docs_legacy on docs using (owner = current_user);
