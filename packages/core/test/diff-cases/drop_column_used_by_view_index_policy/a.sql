create table docs (id int primary key, owner text, legacy_flag boolean default false, title text);
create index docs_legacy_idx on docs (legacy_flag) where legacy_flag;
create view flagged_docs as select id, title, legacy_flag from docs where legacy_flag;
create view doc_titles as select id, title from docs;
alter table docs enable row level security;
create policy docs_legacy on docs using (not legacy_flag);
insert into docs values (1, 'a', true, 't');
