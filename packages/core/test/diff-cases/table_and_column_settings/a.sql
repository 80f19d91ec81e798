create table events (id int primary key, code text not null, payload jsonb, body text, score int);
create unique index events_code_key on events (code);
alter table events alter column score set statistics 50;
alter table events alter column body set storage external;
create table audit (id int primary key, note text);
alter table audit replica identity full;
alter table audit cluster on audit_pkey;
