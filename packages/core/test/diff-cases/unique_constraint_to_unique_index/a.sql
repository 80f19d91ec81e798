create table accounts (id int primary key, email text not null, handle text not null, constraint accounts_email_key unique (email));
create unique index accounts_handle_key on accounts (handle);
