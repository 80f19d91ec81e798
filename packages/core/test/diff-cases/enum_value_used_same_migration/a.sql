create type plan as enum ('free', 'pro');
create table subscriptions (id int primary key, plan plan not null default 'free');
insert into subscriptions values (1, 'pro');
