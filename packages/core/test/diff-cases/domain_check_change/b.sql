create domain positive_int as int check (value > 0) not null default 1;
create domain email as text constraint email_has_at check (value like '%_@_%');
create table contacts (id positive_int primary key, email email);
