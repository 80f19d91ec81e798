create table public.keep (id int primary key, kind_copy text);
