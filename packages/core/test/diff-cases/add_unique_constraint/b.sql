create table members (id int primary key, email text, constraint members_email_key unique (email));
