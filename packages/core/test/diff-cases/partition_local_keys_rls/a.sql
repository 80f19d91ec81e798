create table accounts (id int not null, region text not null, owner text) partition by list (region);
create table accounts_eu partition of accounts for values in ('eu');
create table accounts_us partition of accounts for values in ('us');
