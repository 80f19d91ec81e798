create table events (id int primary key, code text not null, payload jsonb, body text, score int);
create unique index events_code_key on events (code);
alter table events replica identity using index events_code_key;
alter table events alter column payload set storage main;
alter table events alter column payload set compression pglz;
alter table events alter column score set (n_distinct = 100);
alter table events cluster on events_code_key;
create table audit (id int primary key, note text);
alter table audit replica identity nothing;
