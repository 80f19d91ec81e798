create type status as enum ('new', 'legacy', 'open', 'closed');
create table tickets (id int primary key, status status not null default 'new', history status[]);
create view open_tickets as select id, status from tickets where status = 'open';
insert into tickets values (1, 'open', '{new,open}'), (2, 'closed', '{}');
