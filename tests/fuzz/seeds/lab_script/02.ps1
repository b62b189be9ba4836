New-Item -ItemType Directory C:\Data\Logs | Out-Null; Set-Content C:\Data\Logs\a.log 'x'; Set-Content C:\Data\b.txt 'yy'
Get-ChildItem C:\Data | ForEach-Object { $_.Mode + ' ' + $_.Name }
(Get-ChildItem C:\Data -Recurse -File).FullName
(Get-ChildItem C:\Data\*.txt).Length
Get-ChildItem C:\Data -Recurse -Name