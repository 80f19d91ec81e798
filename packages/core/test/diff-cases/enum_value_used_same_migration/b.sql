create type plan as enum ('free', 'trial', 'pro');
create table subscriptions (id int primary key, plan plan not null default 'trial', check (plan <> 'trial' or id > 0));
create view trials as select id from subscriptions where plan = 'trial';
