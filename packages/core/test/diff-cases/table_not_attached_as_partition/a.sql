create table p (id int not null, at date not null) partition by range (at);
create table p_1 partition of p for values from ('2024-01-01') to ('2025-01-01');
create table p_2 (id int not null, at date not null, primary key (id, at));
create index p_at on p (at);
