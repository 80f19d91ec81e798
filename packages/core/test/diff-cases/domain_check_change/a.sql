create domain positive_int as int check (value > 0);
create domain email as text constraint email_has_at check (value like '%@%');
create table contacts (id positive_int primary key, email email);
insert into contacts values (5, 'x@y');
