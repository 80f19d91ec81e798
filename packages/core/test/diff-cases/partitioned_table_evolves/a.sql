create table accounts (id int primary key);
create table payments (id bigint not null, account_id int not null, paid_on date not null, amount numeric(10,2) default 0,
  primary key (id, paid_on, account_id)) partition by range (paid_on);
create table payments_2024 partition of payments for values from ('2024-01-01') to ('2025-01-01');
create table payments_2025 partition of payments for values from ('2025-01-01') to ('2026-01-01')
  partition by list (account_id);
create table payments_2025_a partition of payments_2025 for values in (1, 2);
create table payments_2025_rest partition of payments_2025 default;
create index payments_account_idx on payments (account_id);
create function payments_touch() returns trigger language plpgsql as $$ begin return new; end $$;
insert into accounts values (1);
insert into payments values (1, 1, '2024-05-01', 5), (2, 1, '2025-05-01', 7);
